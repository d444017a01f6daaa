/**
 * GCRA (the "generic cell rate algorithm"): a token bucket stored as one number per caller, the
 * theoretical arrival time (TAT) of its next request. A caller may send `perMinute` requests at
 * once, then one every 60 000 / perMinute ms; a refused request costs nothing. Runs as one Lua
 * script, so concurrent API processes never race between reading and writing the bucket, and
 * uses Redis's clock, so API hosts with skewed clocks agree.
 *
 * KEYS[1]: the bucket. ARGV[1]: ms between requests; ARGV[2]: the burst window in ms; ARGV[3]: "1"
 * to spend a request, "0" only to look. Returns 0 when the request fits, else the ms until it would.
 */
export const GCRA_SCRIPT = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local nextTat = tat + interval
local wait = nextTat - window - now
if wait > 0 then return math.ceil(wait) end
if ARGV[3] == '1' then redis.call('SET', KEYS[1], tostring(nextTat), 'PX', math.ceil(nextTat - now)) end
return 0
`

/** The burst window: a full minute's budget may be spent at once. */
export const WINDOW_MS = 60_000
