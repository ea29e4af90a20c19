"""Minimal PyTorch re-declarations of the released ARBEx (github.com/takihasan/ARBEx, arbex/models)
and POSTER++ (github.com/Talented-Q/POSTER_V2, models/PosterV2_7cls.py) module trees.

Written for this project from reading the released code's structure (names, nesting, shapes and
forward order); no code is copied. Sizes are parameters so tests can use a small model with the
released *names*; `full_cfg()` gives the released sizes. Used by make-released-fixtures.py and
verify-export.py (run with /usr/bin/python3, Debian's python3-torch).
"""
import torch
from torch import nn
import torch.nn.functional as F


def full_cfg():
    return dict(landmark=dict(stem=64, taps=[64, 128, 128], expand=[128, 256, 256], downExpand=[128, 256, 512], blocks=[4, 6, 2], lastConv=512),
                image=dict(widths=[64, 128, 256], units=[3, 4, 14]),
                attention=dict(heads=[2, 4, 8], windows=[28, 14, 7], mlpRatio=4),
                tokenDim=768, vit=dict(depth=2, heads=8, mlpRatio=4), backboneSize=112,
                head=dict(mlpHidden=[384, 192, 96], anchorsPerClass=1), numClasses=7)


def seq(*mods):
    return nn.Sequential(*mods)


# ---- MobileFaceNet (landmark stream) ---------------------------------------------------------
class ArbexConvBlock(nn.Module):  # ARBEx: .net = conv, bn[, prelu]
    def __init__(self, i, o, k, s, g, act=True):
        super().__init__()
        layers = [nn.Conv2d(i, o, k, s, (k - 1) // 2, groups=g, bias=False), nn.BatchNorm2d(o)]
        if act:
            layers.append(nn.PReLU(o))
        self.net = seq(*layers)

    def forward(self, x):
        return self.net(x)


class PosterConvBlock(nn.Module):  # POSTER++: .conv, .bn[, .prelu]
    def __init__(self, i, o, k, s, g, act=True):
        super().__init__()
        self.conv = nn.Conv2d(i, o, k, s, (k - 1) // 2, groups=g, bias=False)
        self.bn = nn.BatchNorm2d(o)
        self.prelu = nn.PReLU(o) if act else None

    def forward(self, x):
        y = self.bn(self.conv(x))
        return self.prelu(y) if self.prelu is not None else y


class DW(nn.Module):
    """expand 1x1 -> depthwise 3x3 (stride) -> project 1x1; ARBEx nests them in .net, POSTER++ names them."""
    def __init__(self, block, i, hidden, o, stride, residual, poster):
        super().__init__()
        parts = [block(i, hidden, 1, 1, 1), block(hidden, hidden, 3, stride, hidden), block(hidden, o, 1, 1, 1, act=False)]
        self.poster = poster
        if poster:
            self.conv, self.conv_dw, self.project = parts
        else:
            self.net = seq(*parts)
        self.residual = residual

    def forward(self, x):
        y = self.project(self.conv_dw(self.conv(x))) if self.poster else self.net(x)
        return x + y if self.residual else y


class Res(nn.Module):
    def __init__(self, block, c, n, hidden, poster):
        super().__init__()
        blocks = seq(*[DW(block, c, hidden, c, 1, True, poster) for _ in range(n)])
        if poster:
            self.model = blocks
        else:
            self.net = blocks

    def forward(self, x):
        return (self.model if hasattr(self, 'model') else self.net)(x)


class ArbexMobileFaceNet(nn.Module):
    def __init__(self, c):
        super().__init__()
        L, B = c['landmark'], ArbexConvBlock
        s, (t1, t2, t3), ex, dx, n = L['stem'], L['taps'], L['expand'], L['downExpand'], L['blocks']
        self.path_1 = seq(B(3, s, 3, 2, 1), B(s, s, 3, 1, s), DW(B, s, dx[0], t1, 2, False, False), Res(B, t1, n[0], ex[0], False))
        self.path_2 = seq(DW(B, t1, dx[1], t2, 2, False, False), Res(B, t2, n[1], ex[1], False))
        self.path_3 = seq(DW(B, t2, dx[2], t3, 2, False, False), Res(B, t3, n[2], ex[2], False), B(t3, L['lastConv'], 1, 1, 1))

    def forward(self, x):
        a = self.path_1(x)
        b = self.path_2(a)
        return [a, b, self.path_3(b)]


class PosterMobileFaceNet(nn.Module):
    def __init__(self, c, landmarks=68):
        super().__init__()
        L, B = c['landmark'], PosterConvBlock
        s, (t1, t2, t3), ex, dx, n = L['stem'], L['taps'], L['expand'], L['downExpand'], L['blocks']
        self.conv1 = B(3, s, 3, 2, 1)
        self.conv2_dw = B(s, s, 3, 1, s)
        self.conv_23 = DW(B, s, dx[0], t1, 2, False, True)
        self.conv_3 = Res(B, t1, n[0], ex[0], True)
        self.conv_34 = DW(B, t1, dx[1], t2, 2, False, True)
        self.conv_4 = Res(B, t2, n[1], ex[1], True)
        self.conv_45 = DW(B, t2, dx[2], t3, 2, False, True)
        self.conv_5 = Res(B, t3, n[2], ex[2], True)
        self.conv_6_sep = B(t3, L['lastConv'], 1, 1, 1)
        m = c['backboneSize'] // 16
        gdc = nn.Module()  # GDC head of the landmark regressor (computed, unused by POSTER++)
        gdc.conv_6_dw = B(L['lastConv'], L['lastConv'], m, 1, L['lastConv'], act=False)
        gdc.conv_6_dw.conv.padding = (0, 0)
        gdc.linear = nn.Linear(L['lastConv'], 2 * landmarks, bias=False)
        gdc.bn = nn.BatchNorm1d(2 * landmarks)
        self.output_layer = gdc

    def forward(self, x):
        y = self.conv_23(self.conv2_dw(self.conv1(x)))
        a = self.conv_3(y)
        b = self.conv_4(self.conv_34(a))
        return [a, b, self.conv_6_sep(self.conv_5(self.conv_45(b)))]


# ---- IR-50 stages (image stream) --------------------------------------------------------------
class IRUnit(nn.Module):
    def __init__(self, i, o, stride, poster):
        super().__init__()
        short = nn.MaxPool2d(1, stride) if i == o else seq(nn.Conv2d(i, o, 1, stride, bias=False), nn.BatchNorm2d(o))
        res = seq(nn.BatchNorm2d(i), nn.Conv2d(i, o, 3, 1, 1, bias=False), nn.PReLU(o), nn.Conv2d(o, o, 3, stride, 1, bias=False), nn.BatchNorm2d(o))
        if poster:
            self.shortcut_layer, self.res_layer = short, res
        else:
            self.shortcut, self.res = short, res

    def forward(self, x):
        if hasattr(self, 'res'):
            return self.res(x) + self.shortcut(x)
        return self.res_layer(x) + self.shortcut_layer(x)


def ir_stage(i, o, n, poster):
    return seq(*[IRUnit(i if k == 0 else o, o, 2 if k == 0 else 1, poster) for k in range(n)])


class ArbexIR(nn.Module):
    def __init__(self, c):
        super().__init__()
        (w1, w2, w3), u = c['image']['widths'], c['image']['units']
        self.size = c['backboneSize']
        self.input_layer = seq(nn.Conv2d(3, w1, 3, 1, 1, bias=False), nn.BatchNorm2d(w1), nn.PReLU(w1))
        for k, (i, o, n) in enumerate([(w1, w1, u[0]), (w1, w2, u[1]), (w2, w3, u[2])]):
            blk = nn.Module()
            blk.net = ir_stage(i, o, n, False)
            setattr(self, f'net_{k + 1}', blk)

    def forward(self, x):
        x = self.input_layer(F.interpolate(x, size=self.size))
        a = self.net_1.net(x)
        b = self.net_2.net(a)
        return a, b, self.net_3.net(b)


class PosterIR(nn.Module):
    def __init__(self, c):
        super().__init__()
        (w1, w2, w3), u = c['image']['widths'], c['image']['units']
        self.size = c['backboneSize']
        self.input_layer = seq(nn.Conv2d(3, w1, 3, 1, 1, bias=False), nn.BatchNorm2d(w1), nn.PReLU(w1))
        m = c['backboneSize'] // 16
        # Computed nowhere in POSTER++; IR-50's face-embedding head (512 = the 4th stage's width).
        o = c.get('irOut', 512)
        self.output_layer = seq(nn.BatchNorm2d(o), nn.Dropout(0.0), nn.Flatten(), nn.Linear(o * m * m, o), nn.BatchNorm1d(o))
        self.body1 = ir_stage(w1, w1, u[0], True)
        self.body2 = ir_stage(w1, w2, u[1], True)
        self.body3 = ir_stage(w2, w3, u[2], True)

    def forward(self, x):
        x = self.input_layer(F.interpolate(x, size=self.size))
        a = self.body1(x)
        b = self.body2(a)
        return a, b, self.body3(b)


# ---- window cross-attention, fusion, ViT ------------------------------------------------------
def swin_index(w):
    ys, xs = torch.meshgrid(torch.arange(w), torch.arange(w), indexing='ij')
    c = torch.stack([ys.flatten(), xs.flatten()])
    d = (c[:, :, None] - c[:, None, :]).permute(1, 2, 0)
    return (d[:, :, 0] + w - 1) * (2 * w - 1) + (d[:, :, 1] + w - 1)


class WindowAttn(nn.Module):
    def __init__(self, dim, heads, w, poster):
        super().__init__()
        self.heads, self.w, self.poster = heads, w, poster
        table = nn.Parameter(torch.zeros((2 * w - 1) ** 2, heads))
        if poster:
            self.relative_position_bias_table = table
            self.register_buffer('relative_position_index', swin_index(w))
            self.qkv, self.proj = nn.Linear(dim, 2 * dim), nn.Linear(dim, dim)
        else:
            self.table = table
            self.register_buffer('index_relative', swin_index(w))
            self.qkv, self.linear = nn.Linear(dim, 2 * dim), nn.Linear(dim, dim)

    def forward(self, x, q):  # x: [B*nW, n, C] windows; q: [B, heads, n, hd] (one window per map)
        Bw, n, C = x.shape
        hd = C // self.heads
        kv = self.qkv(x).reshape(Bw, n, 2, self.heads, hd).permute(2, 0, 3, 1, 4)
        k, v = kv[0], kv[1]
        q = q.repeat(Bw // q.shape[0], 1, 1, 1) if Bw != q.shape[0] else q
        a = (q * hd ** -0.5) @ k.transpose(-2, -1)
        table = self.relative_position_bias_table if self.poster else self.table
        index = self.relative_position_index if self.poster else self.index_relative
        a = a + table[index.reshape(-1)].reshape(n, n, -1).permute(2, 0, 1).unsqueeze(0)
        out = (a.softmax(-1) @ v).transpose(1, 2).reshape(Bw, n, C)
        return self.proj(out) if self.poster else self.linear(out)


class Ffn(nn.Module):
    def __init__(self, dim, ratio, poster):
        super().__init__()
        g1, g2 = nn.Parameter(1e-5 * torch.ones(dim)), nn.Parameter(1e-5 * torch.ones(dim))
        hid = int(dim * ratio)
        if poster:
            self.gamma1, self.gamma2 = g1, g2
            self.mlp = nn.Module()
            self.mlp.fc1, self.mlp.fc2 = nn.Linear(dim, hid), nn.Linear(hid, dim)
        else:
            self.gamma_1, self.gamma_2 = g1, g2
            self.mlp = seq(nn.Linear(dim, hid), nn.GELU(), nn.Dropout(0.0), nn.Linear(hid, dim), nn.Dropout(0.0))
        self.norm = nn.LayerNorm(dim)
        self.poster = poster

    def forward(self, attn_map, shortcut):  # both [B, H, W, C]
        g1, g2 = (self.gamma1, self.gamma2) if self.poster else (self.gamma_1, self.gamma_2)
        mlp = (lambda t: self.mlp.fc2(F.gelu(self.mlp.fc1(t)))) if self.poster else self.mlp
        x = shortcut + g1 * attn_map
        return x + g2 * mlp(self.norm(x))


class VitAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        a = (qkv[0] @ qkv[1].transpose(-2, -1)) * (C // self.heads) ** -0.5
        return self.proj((a.softmax(-1) @ qkv[2]).transpose(1, 2).reshape(B, N, C))


class VitBlock(nn.Module):
    def __init__(self, dim, heads, ratio, tokens):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.conv = nn.Conv1d(tokens, tokens, 1)  # created, never applied (released)
        self.attn = VitAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Module()
        self.mlp.fc1, self.mlp.fc2 = nn.Linear(dim, int(dim * ratio)), nn.Linear(int(dim * ratio), dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp.fc2(F.gelu(self.mlp.fc1(self.norm2(x))))


class Vit(nn.Module):
    def __init__(self, c, tokens, poster):
        super().__init__()
        T, v, w3 = c['tokenDim'], c['vit'], c['image']['widths'][2]
        self.cls_token = nn.Parameter(torch.zeros(1, 1, T))
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens + 1, T))
        self.se_block = nn.Module()
        self.se_block.linear1, self.se_block.linear2 = nn.Linear(T, T), nn.Linear(T, T)
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(w3, T, 1)
        self.CON1 = nn.Conv2d(w3, T, 1, bias=False)
        self.IRLinear1, self.IRLinear2 = nn.Linear(1024, T), nn.Linear(T, 512)
        self.blocks = seq(*[VitBlock(T, v['heads'], v['mlpRatio'], tokens + 1) for _ in range(v['depth'])])
        self.norm = nn.LayerNorm(T, eps=1e-6)
        if poster:  # POSTER++'s classifier and an unused ECA block (channel 128 -> kernel 5)
            self.head = nn.Module()
            self.head.linear = nn.Linear(T, c['numClasses'])
            self.eca_block = nn.Module()
            self.eca_block.conv = nn.Conv1d(1, 1, 5, padding=2, bias=False)

    def forward(self, tokens):
        x = torch.cat([self.cls_token.expand(tokens.shape[0], -1, -1), tokens], 1) + self.pos_embed
        x = self.norm(self.blocks(x))[:, 0]
        return x * torch.sigmoid(self.se_block.linear2(F.relu(self.se_block.linear1(x))))


class Extractor(nn.Module):
    """The POSTER++ feature extractor with ARBEx's names (poster=False) or POSTER++'s (True)."""
    def __init__(self, c, poster=False):
        super().__init__()
        self.c, self.poster = c, poster
        (d1, d2, d3), heads, wins, T = c['image']['widths'], c['attention']['heads'], c['attention']['windows'], c['tokenDim']
        m3 = -(-c['backboneSize'] // 16)
        tokens = 3 * m3 * m3
        lm, ir = (PosterMobileFaceNet(c), PosterIR(c)) if poster else (ArbexMobileFaceNet(c), ArbexIR(c))
        last = nn.Conv2d(c['landmark']['lastConv'], d3, 3, padding=1)
        downs = [nn.Conv2d(d, d, 3, 2, 1) for d in (d1, d2, d3)]
        attns = [WindowAttn(d, h, w, poster) for d, h, w in zip((d1, d2, d3), heads, wins)]
        norms = []
        for d in (d1, d2, d3):
            m = nn.Module()
            m.norm = nn.LayerNorm(d)
            norms.append(m)
        ffns = [Ffn(d, c['attention']['mlpRatio'], poster) for d in (d1, d2, d3)]
        if poster:
            self.face_landback, self.ir_back, self.last_face_conv = lm, ir, last
            self.VIT = Vit(c, tokens, True)
            for k in range(3):
                setattr(self, f'attn{k + 1}', attns[k])
                setattr(self, f'window{k + 1}', norms[k])
                setattr(self, f'conv{k + 1}', downs[k])
                setattr(self, f'ffn{k + 1}', ffns[k])
            self.embed_q = seq(nn.Conv2d(d1, T, 3, 2, 1), nn.Conv2d(T, T, 3, 2, 1))
            self.embed_k = seq(nn.Conv2d(d2, T, 3, 2, 1))
            self.embed_v = nn.Module()
            self.embed_v.proj = nn.Conv2d(d3, T, 1)
        else:
            self.landmark, self.ir, self.conv = lm, ir, last
            self.convs, self.window_module, self.attns, self.ffns = (nn.ModuleList(x) for x in (downs, norms, attns, ffns))
            pe = nn.Module()
            pe.proj = nn.Conv2d(d3, T, 1)
            self.embs = nn.ModuleList([seq(nn.Conv2d(d1, T, 3, 2, 1), nn.Conv2d(T, T, 3, 2, 1)), nn.Conv2d(d2, T, 3, 2, 1), pe])
            self.vit = Vit(c, tokens, False)

    def parts(self):
        if self.poster:
            return (self.face_landback, self.ir_back, self.last_face_conv, [self.conv1, self.conv2, self.conv3],
                    [self.window1, self.window2, self.window3], [self.attn1, self.attn2, self.attn3], [self.ffn1, self.ffn2, self.ffn3],
                    [lambda t: self.embed_q(t), lambda t: self.embed_k(t), lambda t: self.embed_v.proj(t)], self.VIT)
        return (self.landmark, self.ir, self.conv, list(self.convs), list(self.window_module), list(self.attns), list(self.ffns),
                [lambda t: self.embs[0](t), lambda t: self.embs[1](t), lambda t: self.embs[2].proj(t)], self.vit)

    def forward(self, x):
        lm, ir, last, downs, norms, attns, ffns, embs, vit = self.parts()
        xs = F.interpolate(x, size=self.c['backboneSize'])  # default mode: nearest
        f = lm(xs)
        f[2] = last(f[2])
        outs = []
        for k, (img, q) in enumerate(zip(ir(x), f)):
            h = attns[k].heads
            B, C, H, W = q.shape
            qh = q.permute(0, 2, 3, 1).reshape(B, H * W, h, C // h).permute(0, 2, 1, 3)  # head split
            y = norms[k].norm(downs[k](img).permute(0, 2, 3, 1))  # [B, H, W, C], one window = the map
            a = attns[k](y.reshape(B, H * W, C), qh).reshape(B, H, W, C)
            outs.append(ffns[k](a, y).permute(0, 3, 1, 2))
        tokens = torch.cat([embs[k](o).flatten(2).transpose(1, 2) for k, o in enumerate(outs)], 1)
        return vit(tokens)


# ---- ARBEx head (released) --------------------------------------------------------------------
class Classifier(nn.Module):
    def __init__(self, dim, hidden, classes):
        super().__init__()
        layers, i = [], dim
        for h in hidden:
            layers += [nn.Linear(i, h), nn.ReLU(), nn.BatchNorm1d(h), nn.Dropout(0.5)]
            i = h
        layers.append(nn.Linear(i, classes))
        self.net = seq(*layers)

    def forward(self, x):
        return self.net(x)


class Anchors(nn.Module):
    def __init__(self, classes, k, dim):
        super().__init__()
        self.anchors = nn.Parameter(torch.zeros(classes, k, dim))

    def forward(self, e):
        return ((self.anchors.unsqueeze(0) - e[:, None, None, :]) ** 2).sum(-1).sqrt()


class SelfAttn(nn.Module):
    def __init__(self, classes, k, dim):
        super().__init__()
        self.nc, self.nk = classes, k
        self.Q, self.K, self.V = (nn.Linear(dim, classes * k) for _ in range(3))
        self.attn_fn = nn.MultiheadAttention(classes * k, num_heads=1)

    def forward(self, e):  # e: [B, D]; the batch is the (unbatched) sequence
        out, _ = self.attn_fn(self.Q(e), self.K(e), self.V(e))
        return out.softmax(-1).view(-1, self.nc, self.nk).sum(-1)


class ReleasedArbex(nn.Module):
    """Keys as the released script's four modules under one roof: vit., classifier., anchors., self_attn."""
    def __init__(self, c):
        super().__init__()
        C, K, T = c['numClasses'], c['head']['anchorsPerClass'], c['tokenDim']
        self.vit = Extractor(c, poster=False)
        self.classifier = Classifier(T, c['head']['mlpHidden'], C)
        self.anchors = Anchors(C, K, T)
        self.self_attn = SelfAttn(C, K, T)


class ReleasedPoster(Extractor):
    def __init__(self, c):
        super().__init__(c, poster=True)

    def logits(self, x):
        return self.VIT.head.linear(super().forward(x))


def entropy_confidence(q):
    return 1 - (-(q.log() * q).sum(-1) / torch.log(torch.tensor(float(q.shape[1])))).view(-1, 1)


def released_outputs(m, x, trust):
    """What the released train loop computes for a batch (eval mode), as a dict of tensors."""
    e = m.vit(x)
    logits = m.classifier(e)
    p = logits.softmax(-1)
    d = m.anchors(e)
    t = (-d.view(d.shape[0], -1)).softmax(-1).view_as(d).sum(-1)
    v = m.self_attn(e)
    c, cg, ca = entropy_confidence(p), entropy_confidence(t), entropy_confidence(v)
    corr = (t * cg + v * ca) / (cg + ca)
    q = c * p + (1 - c) * corr
    return dict(e=e, logits=logits, p=p, t=t, v=v, corrected=(1 - trust) * p + trust * q)
