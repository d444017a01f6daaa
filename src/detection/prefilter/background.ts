/**
 * Typical vocabulary of process command lines and names (lower-cased): system paths, common
 * binaries and their usual switches. The prefilter only uses it to guess which strings ordinary
 * events contain often — to rank a rule's needs and to pick the window a needle is scanned by — so
 * a wrong guess costs time, never a result.
 */
const BACKGROUND = [
  'c:\\windows\\system32\\ c:\\windows\\syswow64\\ c:\\program files\\ c:\\program files (x86)\\ c:\\programdata\\',
  'c:\\users\\ \\appdata\\local\\temp\\ \\appdata\\roaming\\ \\microsoft\\windows\\ \\documents\\ \\downloads\\',
  '.exe" .exe .dll, .dll .ps1 .bat .cmd .vbs .js .msi .txt .log .xml .json .ini',
  'svchost.exe -k netsvcs -p -s schedule localservice networkservice dcomlaunch',
  'rundll32.exe shell32.dll,control_rundll conhost.exe 0xffffffff -forcev1 -embedding',
  'powershell.exe -noprofile -executionpolicy bypass -nologo -noninteractive -command -file',
  'cmd.exe /c /d /s /k echo start set call copy dir type',
  '"c:\\program files\\google\\chrome\\application\\chrome.exe" --type=renderer --type=utility',
  '--type=gpu-process --lang=en-us --field-trial-handle= --mojo-platform-channel-handle= /prefetch:',
  'msedge.exe explorer.exe taskhostw.exe runtimebroker.exe dllhost.exe /processid:{ wmiprvse.exe -secured',
  'msiexec.exe /i /qn update updater service setup install version config',
  '/usr/bin/ /usr/sbin/ /usr/lib/ /bin/bash -c /bin/sh /tmp/ /var/log/ /etc/ /home/ /opt/ python3 systemctl',
  'http:// https:// localhost',
].join(' ')

/** Occurrences of every 1- to 4-character string of the vocabulary (what window choice asks for, many times over). */
const GRAMS = new Map<string, number>()
for (let n = 1; n <= 4; n++) {
  for (let i = 0; i + n <= BACKGROUND.length; i++) {
    const g = BACKGROUND.slice(i, i + n)
    GRAMS.set(g, (GRAMS.get(g) ?? 0) + 1)
  }
}

/** How often `s` (lower-cased) occurs in the typical vocabulary, overlaps included. */
export function backgroundCount(s: string): number {
  if (s === '') return 0
  if (s.length <= 4) return GRAMS.get(s) ?? 0
  let n = 0
  for (let i = BACKGROUND.indexOf(s); i >= 0; i = BACKGROUND.indexOf(s, i + 1)) n++
  return n
}

