import { listTasks } from "../../task/load.ts";

export async function tasksCommand(options: { json?: boolean }): Promise<void> {
  const tasks = await listTasks();
  if (options.json) {
    process.stdout.write(`${JSON.stringify(tasks, null, 2)}\n`);
    return;
  }
  const width = Math.max(...tasks.map((t) => t.id.length), 4);
  for (const t of tasks) process.stdout.write(`${t.id.padEnd(width)}  ${t.title}\n`);
}
