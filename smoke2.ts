import * as E from './src/node.ts';
await E.initNodeEngine();
console.error('init ok');
const t = E.arange(5);
console.error(await t.toArray());
process.exit(0);
