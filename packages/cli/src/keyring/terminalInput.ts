// Reading secrets and answers for `qos keys`: hidden prompts on a terminal (stderr), or the
// lines of piped stdin for scripts; password files. Nothing read here is echoed or logged.
import { readFileSync } from "node:fs";

export interface TerminalInput {
  /** True when stdin is a terminal (prompts are shown on stderr). */
  readonly interactive: boolean;
  /** The next line: typed without echo on a terminal, else the next line of piped stdin. */
  secret(prompt: string): Promise<string>;
  /** Like secret(), but a terminal echoes what is typed (confirmations). */
  line(prompt: string): Promise<string>;
}

/** A password file's content without one trailing newline. */
export function readPasswordFile(path: string): string {
  return readFileSync(path, "utf8").replace(/\r?\n$/, "");
}

function readTerminal(prompt: string, echo: boolean): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let text = "";
    const finish = () => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") {
          finish();
          resolve(text);
          return;
        }
        if (ch === "\u0003" || ch === "\u0004") {
          finish();
          reject(new Error("input cancelled"));
          return;
        }
        if (ch === "\u007f" || ch === "\b") {
          text = text.slice(0, -1);
          if (echo) process.stderr.write("\b \b");
          continue;
        }
        text += ch;
        if (echo) process.stderr.write(ch);
      }
    };
    stdin.setEncoding("utf8");
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", onData);
  });
}

/** Input from this process's stdin. Piped stdin is read whole on first use, then line by line. */
export function createTerminalInput(): TerminalInput {
  const interactive = process.stdin.isTTY === true;
  let lines: string[] | null = null;
  const next = (): string => {
    if (lines === null) {
      let text = "";
      try {
        text = readFileSync(0, "utf8");
      } catch {
        text = "";
      }
      lines = text.split(/\r?\n/);
    }
    const line = lines.shift();
    if (line === undefined) throw new Error("stdin ended before all the expected lines were read");
    return line;
  };
  return {
    interactive,
    secret: (prompt) => (interactive ? readTerminal(prompt, false) : Promise.resolve(next())),
    line: (prompt) => (interactive ? readTerminal(prompt, true) : Promise.resolve(next())),
  };
}
