/** `arbex` command dispatcher: parses the first word and hands the rest to a sub-command. */
const HELP = `arbex — ARBEx facial-expression training on a WebGPU engine

Usage: arbex <command> [options]

Commands:
  train      train a model (default: ARBEx-tiny on built-in synthetic faces)
  eval       evaluate a checkpoint
  predict    classify images with a checkpoint
  summary    per-layer table of a configuration (--config full|tiny [--json])
  data       synthetic data and dataset tools (data synth | data inspect)
  pretrain-landmarks   pretrain the landmark stream on synthetic landmarks
  import     released PyTorch weights (ARBEx, POSTER++, IR-50, MobileFaceNet) → a checkpoint
  export     a checkpoint → PyTorch .pth / .safetensors with the released names

Run 'arbex <command> --help' for the options of a command.`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  data: async () => (await import('./data.js')).runDataCommand,
  train: async () => (await import('./train.js')).runTrainCommand,
  eval: async () => (await import('./eval.js')).runEvalCommand,
  predict: async () => (await import('./predict.js')).runPredictCommand,
  summary: async () => (await import('./summary.js')).runSummaryCommand,
  'pretrain-landmarks': async () => (await import('./pretrain.js')).runPretrainCommand,
  import: async () => (await import('./import.js')).runImportCommand,
  export: async () => (await import('./export.js')).runExportCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(HELP);
    return cmd ? 0 : 1;
  }
  const load = COMMANDS[cmd];
  if (!load) {
    console.error(`arbex: unknown command '${cmd}'\n\n${HELP}`);
    return 2;
  }
  try {
    return await (await load())(rest);
  } catch (e) {
    const err = e as Error;
    console.error(`arbex ${cmd}: ${err.name && err.name !== 'Error' ? err.name + ': ' : ''}${err.message}`);
    if (process.env.ARBEX_DEBUG) console.error(err.stack);
    return 1;
  }
}
