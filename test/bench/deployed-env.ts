/**
 * The environment the Docker image runs Watchpost's processes with (docker/Dockerfile's ENV), and
 * the README asks for: the memory benchmarks start their processes with it.
 */
export const DEPLOYED_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2', NODE_OPTIONS: '--max-old-space-size=1024' }
