/**
 * A minimal ONNX model writer: just enough protobuf to express a one-node graph (e.g. MatMul)
 * with fixed-shape f32 inputs, so the onnxruntime peer needs no model files and no protobuf
 * dependency. Field numbers follow onnx/onnx.proto (ModelProto, GraphProto, NodeProto,
 * ValueInfoProto, TypeProto.Tensor, TensorShapeProto).
 */

/** Protobuf wire encoding of the few field kinds ONNX needs here. */
class Writer {
  private bytes: number[] = [];

  private varint(v: number): void {
    // Values here are small non-negative integers (< 2^53), so plain arithmetic is exact.
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
  }
  private key(field: number, wire: 0 | 2): void {
    this.varint(field * 8 + wire);
  }
  int(field: number, v: number): this {
    this.key(field, 0);
    this.varint(v);
    return this;
  }
  string(field: number, s: string): this {
    return this.message(field, new TextEncoder().encode(s));
  }
  message(field: number, body: Uint8Array): this {
    this.key(field, 2);
    this.varint(body.length);
    for (const b of body) this.bytes.push(b);
    return this;
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

const ONNX_FLOAT = 1;

export interface OnnxValue {
  name: string;
  shape: readonly number[];
}

export interface OnnxNode {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
}

function valueInfo(v: OnnxValue): Uint8Array {
  const shape = new Writer();
  for (const d of v.shape) shape.message(1, new Writer().int(1, d).finish()); // Dimension.dim_value
  const tensorType = new Writer().int(1, ONNX_FLOAT).message(2, shape.finish());
  const type = new Writer().message(1, tensorType.finish()); // TypeProto.tensor_type
  return new Writer().string(1, v.name).message(2, type.finish()).finish();
}

/** Serialises a graph of standard-domain nodes over f32 inputs/outputs (opset 17, IR 8). */
export function onnxModel(nodes: readonly OnnxNode[], inputs: readonly OnnxValue[], outputs: readonly OnnxValue[]): Uint8Array {
  const graph = new Writer();
  nodes.forEach((n, i) => {
    const node = new Writer();
    for (const x of n.inputs) node.string(1, x);
    for (const y of n.outputs) node.string(2, y);
    node.string(3, `${n.op}_${i}`).string(4, n.op);
    graph.message(1, node.finish());
  });
  graph.string(2, 'bench');
  for (const v of inputs) graph.message(11, valueInfo(v));
  for (const v of outputs) graph.message(12, valueInfo(v));
  const opset = new Writer().string(1, '').int(2, 17).finish();
  return new Writer().int(1, 8).string(2, 'arbex-kernels-bench').message(7, graph.finish()).message(8, opset).finish();
}

/** A one-node MatMul model: C = A · B with numpy broadcasting over batch dimensions. */
export function matmulModel(aShape: readonly number[], bShape: readonly number[], cShape: readonly number[]): Uint8Array {
  return onnxModel([{ op: 'MatMul', inputs: ['A', 'B'], outputs: ['C'] }], [
    { name: 'A', shape: aShape },
    { name: 'B', shape: bShape },
  ], [{ name: 'C', shape: cShape }]);
}
