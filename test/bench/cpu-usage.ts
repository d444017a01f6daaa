import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/**
 * Where a stage's CPU time went: the machine's busy time and the time the hypervisor stole from
 * it (/proc/stat), and the CPU time of given processes (/proc/<pid>/stat), as cores used over a
 * wall-clock interval. Linux only: elsewhere a sample is null and the stage reports no split.
 */

/** Cumulative CPU seconds at one moment. */
export interface CpuSample {
  readonly at: number
  /** Seconds all cores spent running anything (user, nice, system, irq, softirq). */
  readonly busy: number
  /** Seconds the hypervisor ran something else while this machine wanted to run. */
  readonly steal: number
  /** User + system seconds of each process asked for, in the order asked. */
  readonly processes: readonly number[]
}

/** Cores used between two samples: busy and stolen of the machine, and of each process. */
export interface CpuSplit {
  readonly busyCores: number
  readonly stealCores: number
  readonly processCores: readonly number[]
}

let ticksPerSecond: number | undefined

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      ticksPerSecond = 100
    }
  }
  return ticksPerSecond
}

/** The machine's and the processes' cumulative CPU time now; null where /proc cannot tell. */
export function sampleCpu(pids: readonly number[]): CpuSample | null {
  try {
    const tick = clockTicks()
    // cpu  user nice system idle iowait irq softirq steal …
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number)
    const [user, nice, system, , , irq, softirq, steal] = fields as [number, number, number, number, number, number, number, number]
    const processes = pids.map((pid) => {
      // The command name (field 2) may hold spaces; the fields after it start behind its ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      return (Number(after[11]) + Number(after[12])) / tick // utime, stime: fields 14 and 15
    })
    return { at: performance.now(), busy: (user + nice + system + irq + softirq) / tick, steal: steal / tick, processes }
  } catch {
    return null
  }
}

/** Cores used from `a` to `b` (samples of the same processes). */
export function cpuSplit(a: CpuSample, b: CpuSample): CpuSplit {
  const seconds = (b.at - a.at) / 1000
  return {
    busyCores: (b.busy - a.busy) / seconds,
    stealCores: (b.steal - a.steal) / seconds,
    processCores: b.processes.map((p, i) => (p - a.processes[i]!) / seconds),
  }
}
