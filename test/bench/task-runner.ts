// Runs one bench task in this process and prints its result as the last
// line of JSON, with this process's own peak RSS.
const [task, argsJson] = process.argv.slice(2);
const mod = (await import(`./tasks/${task}.ts`)) as { run(args: unknown): Promise<Record<string, unknown>> };
const result = await mod.run(JSON.parse(argsJson ?? '{}'));
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write('\n' + JSON.stringify({ ...result, peakRssMb }) + '\n');
process.exit(0);
