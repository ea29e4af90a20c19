/**
 * Project ⇄ released state-dict names, as data. Each table is a pipeline of rewrites applied in
 * order to a *project* key (every rule whose pattern matches rewrites the key); the result is the
 * released key. The reverse direction is the inverse of this map over the model's keys, so both
 * directions always agree. In a replacement, `$n` is a capture group and `{…}` an integer
 * expression over `$n` and `H` (the number of hidden layers of the MLP classifier).
 *
 * Released trees (read from the public code; see README "PyTorch weights"):
 *  - ARBEx (github.com/takihasan/ARBEx): `vit.` = PosterV2 (landmark = MobileFaceNet with
 *    path_1..3 of nested `.net` Sequentials; ir = IR50 net_1..3 of Bottleneck(shortcut, res);
 *    conv; convs; window_module; attns (table, index_relative, qkv, linear); ffns (gamma_1/2,
 *    mlp Sequential, norm); embs; vit = the ViT), `classifier.net.N`, `anchors.anchors`,
 *    `self_attn.{Q,K,V,attn_fn}`.
 *  - POSTER++ `pyramid_trans_expr2` (github.com/Talented-Q/POSTER_V2): face_landback (MobileFaceNet
 *    conv1 … conv_6_sep, output_layer), ir_back (input_layer, body1..3, output_layer), attn1..3,
 *    window1..3, conv1..3, ffn1..3, last_face_conv, embed_q/k/v, VIT (… head, eca_block).
 *  - The pretrained files POSTER++ loads: ir50.pth = ir_back's tree; mobilefacenet_model_best.pth.tar
 *    = face_landback's tree under 'state_dict'.
 */
export type Rule = readonly [pattern: string, replacement: string];

/** Project → released ARBEx (one dict with the four released modules as prefixes). */
export const ARBEX_RULES: readonly Rule[] = [
  // landmark stream (MobileFaceNet): stages → path_N Sequentials; residual blocks under `.net`
  ['^features\\.face_landback\\.conv1\\.', 'vit.landmark.path_1.0.'],
  ['^features\\.face_landback\\.conv2_dw\\.', 'vit.landmark.path_1.1.'],
  ['^features\\.face_landback\\.stage1\\.0\\.', 'vit.landmark.path_1.2.'],
  ['^features\\.face_landback\\.stage1\\.(\\d+)\\.', 'vit.landmark.path_1.3.net.{$1-1}.'],
  ['^features\\.face_landback\\.stage2\\.0\\.', 'vit.landmark.path_2.0.'],
  ['^features\\.face_landback\\.stage2\\.(\\d+)\\.', 'vit.landmark.path_2.1.net.{$1-1}.'],
  ['^features\\.face_landback\\.stage3\\.0\\.', 'vit.landmark.path_3.0.'],
  ['^features\\.face_landback\\.stage3\\.(\\d+)\\.', 'vit.landmark.path_3.1.net.{$1-1}.'],
  ['^features\\.face_landback\\.conv_6_sep\\.', 'vit.landmark.path_3.2.'],
  ['^features\\.face_landback\\.last_face_conv\\.', 'vit.conv.'],
  // inverted-residual block: expand / depthwise / project → net.0 / net.1 / net.2
  ['^(vit\\.landmark\\.\\S+?)\\.conv\\.(conv|bn|prelu)\\.', '$1.net.0.$2.'],
  ['^(vit\\.landmark\\.\\S+?)\\.conv_dw\\.', '$1.net.1.'],
  ['^(vit\\.landmark\\.\\S+?)\\.project\\.', '$1.net.2.'],
  // conv → BN → PReLU block: net.0 / net.1 / net.2
  ['^(vit\\.landmark\\..*)\\.conv\\.weight$', '$1.net.0.weight'],
  ['^(vit\\.landmark\\..*)\\.bn\\.(\\w+)$', '$1.net.1.$2'],
  ['^(vit\\.landmark\\..*)\\.prelu\\.weight$', '$1.net.2.weight'],
  // image stream (IR-50 stages)
  ['^features\\.ir_back\\.input_conv\\.', 'vit.ir.input_layer.0.'],
  ['^features\\.ir_back\\.input_bn\\.', 'vit.ir.input_layer.1.'],
  ['^features\\.ir_back\\.input_prelu\\.', 'vit.ir.input_layer.2.'],
  ['^features\\.ir_back\\.stage(\\d)\\.(\\d+)\\.', 'vit.ir.net_$1.net.$2.'],
  ['^(vit\\.ir\\.net_\\d\\.net\\.\\d+)\\.bn1\\.', '$1.res.0.'],
  ['^(vit\\.ir\\.net_\\d\\.net\\.\\d+)\\.conv1\\.', '$1.res.1.'],
  ['^(vit\\.ir\\.net_\\d\\.net\\.\\d+)\\.prelu\\.', '$1.res.2.'],
  ['^(vit\\.ir\\.net_\\d\\.net\\.\\d+)\\.conv2\\.', '$1.res.3.'],
  ['^(vit\\.ir\\.net_\\d\\.net\\.\\d+)\\.bn2\\.', '$1.res.4.'],
  ['^(vit\\.ir\\.net_\\d\\.net\\.\\d+)\\.shortcut_conv\\.', '$1.shortcut.0.'],
  ['^(vit\\.ir\\.net_\\d\\.net\\.\\d+)\\.shortcut_bn\\.', '$1.shortcut.1.'],
  ['^features\\.ir_back\\.down(\\d)\\.', 'vit.convs.{$1-1}.'],
  // window cross-attention: split over window_module / attns / ffns
  ['^features\\.attn(\\d)\\.norm\\.', 'vit.window_module.{$1-1}.norm.'],
  ['^features\\.attn(\\d)\\.relative_position_bias_table$', 'vit.attns.{$1-1}.table'],
  ['^features\\.attn(\\d)\\.kv\\.', 'vit.attns.{$1-1}.qkv.'],
  ['^features\\.attn(\\d)\\.proj\\.', 'vit.attns.{$1-1}.linear.'],
  ['^features\\.attn(\\d)\\.norm2\\.', 'vit.ffns.{$1-1}.norm.'],
  ['^features\\.attn(\\d)\\.fc1\\.', 'vit.ffns.{$1-1}.mlp.0.'],
  ['^features\\.attn(\\d)\\.fc2\\.', 'vit.ffns.{$1-1}.mlp.3.'],
  ['^features\\.attn(\\d)\\.gamma(\\d)$', 'vit.ffns.{$1-1}.gamma_$2'],
  // multi-scale fusion
  ['^features\\.fusion\\.embed_q0\\.', 'vit.embs.0.0.'],
  ['^features\\.fusion\\.embed_q1\\.', 'vit.embs.0.1.'],
  ['^features\\.fusion\\.embed_k\\.', 'vit.embs.1.'],
  ['^features\\.fusion\\.embed_v\\.', 'vit.embs.2.proj.'],
  // ViT
  ['^features\\.VIT\\.blocks\\.(\\d+)\\.fc(\\d)\\.', 'vit.vit.blocks.$1.mlp.fc$2.'],
  ['^features\\.VIT\\.se_linear(\\d)\\.', 'vit.vit.se_block.linear$1.'],
  ['^features\\.VIT\\.patch_embed_proj\\.', 'vit.vit.patch_embed.proj.'],
  ['^features\\.VIT\\.', 'vit.vit.'],
  // head: MLP classifier (Linear, ReLU, BatchNorm1d, Dropout per hidden layer), anchors, attention
  ['^head\\.mlp(\\d+)\\.fc\\.', 'classifier.net.{4*$1}.'],
  ['^head\\.mlp(\\d+)\\.bn\\.', 'classifier.net.{4*$1+2}.'],
  ['^head\\.classifier\\.', 'classifier.net.{4*H}.'],
  ['^head\\.anchors$', 'anchors.anchors'],
  ['^head\\.attn_q\\.weight$', 'self_attn.Q.weight'],
  ['^head\\.attn_k\\.weight$', 'self_attn.K.weight'],
  ['^head\\.attn_v\\.weight$', 'self_attn.V.weight'],
  ['^head\\.attn_q_bias$', 'self_attn.Q.bias'],
  ['^head\\.attn_k_bias$', 'self_attn.K.bias'],
  ['^head\\.attn_v_bias$', 'self_attn.V.bias'],
  ['^head\\.attn_fn\\.', 'self_attn.attn_fn.'],
];

/** Project → POSTER++ `pyramid_trans_expr2` (the feature extractor; its classifier is VIT.head.linear). */
export const POSTER_RULES: readonly Rule[] = [
  ['^features\\.face_landback\\.stage1\\.0\\.', 'face_landback.conv_23.'],
  ['^features\\.face_landback\\.stage1\\.(\\d+)\\.', 'face_landback.conv_3.model.{$1-1}.'],
  ['^features\\.face_landback\\.stage2\\.0\\.', 'face_landback.conv_34.'],
  ['^features\\.face_landback\\.stage2\\.(\\d+)\\.', 'face_landback.conv_4.model.{$1-1}.'],
  ['^features\\.face_landback\\.stage3\\.0\\.', 'face_landback.conv_45.'],
  ['^features\\.face_landback\\.stage3\\.(\\d+)\\.', 'face_landback.conv_5.model.{$1-1}.'],
  ['^features\\.face_landback\\.last_face_conv\\.', 'last_face_conv.'],
  ['^features\\.face_landback\\.', 'face_landback.'],
  ['^features\\.ir_back\\.input_conv\\.', 'ir_back.input_layer.0.'],
  ['^features\\.ir_back\\.input_bn\\.', 'ir_back.input_layer.1.'],
  ['^features\\.ir_back\\.input_prelu\\.', 'ir_back.input_layer.2.'],
  ['^features\\.ir_back\\.stage(\\d)\\.(\\d+)\\.', 'ir_back.body$1.$2.'],
  ['^(ir_back\\.body\\d\\.\\d+)\\.bn1\\.', '$1.res_layer.0.'],
  ['^(ir_back\\.body\\d\\.\\d+)\\.conv1\\.', '$1.res_layer.1.'],
  ['^(ir_back\\.body\\d\\.\\d+)\\.prelu\\.', '$1.res_layer.2.'],
  ['^(ir_back\\.body\\d\\.\\d+)\\.conv2\\.', '$1.res_layer.3.'],
  ['^(ir_back\\.body\\d\\.\\d+)\\.bn2\\.', '$1.res_layer.4.'],
  ['^(ir_back\\.body\\d\\.\\d+)\\.shortcut_conv\\.', '$1.shortcut_layer.0.'],
  ['^(ir_back\\.body\\d\\.\\d+)\\.shortcut_bn\\.', '$1.shortcut_layer.1.'],
  ['^features\\.ir_back\\.down(\\d)\\.', 'conv$1.'],
  ['^features\\.attn(\\d)\\.norm\\.', 'window$1.norm.'],
  ['^features\\.attn(\\d)\\.relative_position_bias_table$', 'attn$1.relative_position_bias_table'],
  ['^features\\.attn(\\d)\\.kv\\.', 'attn$1.qkv.'],
  ['^features\\.attn(\\d)\\.proj\\.', 'attn$1.proj.'],
  ['^features\\.attn(\\d)\\.norm2\\.', 'ffn$1.norm.'],
  ['^features\\.attn(\\d)\\.fc(\\d)\\.', 'ffn$1.mlp.fc$2.'],
  ['^features\\.attn(\\d)\\.gamma(\\d)$', 'ffn$1.gamma$2'],
  ['^features\\.fusion\\.embed_q0\\.', 'embed_q.0.'],
  ['^features\\.fusion\\.embed_q1\\.', 'embed_q.1.'],
  ['^features\\.fusion\\.embed_k\\.', 'embed_k.0.'],
  ['^features\\.fusion\\.embed_v\\.', 'embed_v.proj.'],
  ['^features\\.VIT\\.blocks\\.(\\d+)\\.fc(\\d)\\.', 'VIT.blocks.$1.mlp.fc$2.'],
  ['^features\\.VIT\\.se_linear(\\d)\\.', 'VIT.se_block.linear$1.'],
  ['^features\\.VIT\\.patch_embed_proj\\.', 'VIT.patch_embed.proj.'],
  ['^features\\.VIT\\.', 'VIT.'],
  // POSTER++ classifies with one Linear: only a linear project head has a counterpart.
  ['^head\\.classifier\\.', 'VIT.head.linear.'],
];

/** Released keys with no project tensor, per format: what they are and how they are handled. */
export const RELEASED_ONLY: Readonly<Record<'arbex' | 'poster', readonly (readonly [pattern: string, what: string])[]>> = {
  arbex: [
    ['^vit\\.attns\\.\\d+\\.index_relative$', 'relative-position index buffer (checked on import, generated on export)'],
  ],
  poster: [
    ['^attn\\d\\.relative_position_index$', 'relative-position index buffer (checked on import, generated on export)'],
    ['^ir_back\\.output_layer\\.', "IR-50's face-embedding head, never called by POSTER++"],
    ['^face_landback\\.output_layer\\.', "the landmark regressor's GDC head (its output is discarded by POSTER++)"],
    ['^VIT\\.eca_block\\.', 'ECA block created but never called by POSTER++'],
  ],
};

/** ImageNet-free backbones POSTER++ loads: their keys are ir_back's / face_landback's without the prefix. */
export const BACKBONE_PREFIX: Readonly<Record<'ir50' | 'mobilefacenet', { project: string; poster: string; exclude: string }>> = {
  ir50: { project: 'features.ir_back.', poster: 'ir_back.', exclude: '^features\\.ir_back\\.down\\d\\.' },
  mobilefacenet: { project: 'features.face_landback.', poster: 'face_landback.', exclude: '^features\\.face_landback\\.last_face_conv\\.' },
};

/** IR-50's unit counts per stage, to read the original single-`body` layout (body.0 … body.23). */
export const IR50_UNITS = [3, 4, 14, 3] as const;
