"""compare_losses.py — issue 5's check: the same stylisation in gpustyle and in PyTorch (torch_gatys.py),
final content+style losses side by side. Both get identical pre-resized inputs (PNG, longest side SIZE).

  python3 benchmarks/compare_losses.py CONTENT STYLE [--size 256] [--iterations 200] [--content-weight 100]
      [--style-weight 100] [--tv-weight 0] [--model ~/.cache/gpustyle/models/vgg16-hed.safetensors]
      [--gpustyle .build/release/gpustyle] [--backend cpu] [--out /tmp/compare]
"""
import argparse, json, os, subprocess, sys, time
import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
import torch
import torch_gatys as tg


def main():
    p = argparse.ArgumentParser()
    p.add_argument("content"); p.add_argument("style")
    p.add_argument("--size", type=int, default=256); p.add_argument("--iterations", type=int, default=200)
    p.add_argument("--content-weight", type=float, default=100); p.add_argument("--style-weight", type=float, default=100)
    p.add_argument("--tv-weight", type=float, default=0)
    p.add_argument("--model", default=os.path.expanduser("~/.cache/gpustyle/models/vgg16-hed.safetensors"))
    p.add_argument("--arch", default="vgg16"); p.add_argument("--gpustyle", default=".build/release/gpustyle")
    p.add_argument("--backend", default="cpu"); p.add_argument("--out", default="/tmp/compare")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)

    def sized(path, name):
        img = Image.open(path).convert("RGB")
        scale = a.size / max(img.size)
        img = img.resize((max(1, round(img.size[0] * scale)), max(1, round(img.size[1] * scale))), Image.LANCZOS)
        out = os.path.join(a.out, name); img.save(out); return out, np.asarray(img, dtype=np.float64) / 255.0

    cpath, carr = sized(a.content, "content.png"); spath, sarr = sized(a.style, "style.png")
    layers_c, layers_s = ["relu4_2"], ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]

    # gpustyle
    report = os.path.join(a.out, "gpustyle.json")
    cmd = [a.gpustyle, "stylize", "--content-image", cpath, "--style-image", spath, "--image-size", str(a.size),
           "--num-iterations", str(a.iterations), "--content-weight", str(a.content_weight), "--style-weight",
           str(a.style_weight), "--tv-weight", str(a.tv_weight), "--model", a.model, "--backend", a.backend,
           "--output-image", os.path.join(a.out, "gpustyle.png"), "--report", report, "--progress", "none",
           "--print-iter", "1", "--save-iter", "0", "--seed", str(a.seed)]
    t = time.time(); subprocess.run(cmd, check=True); g_seconds = time.time() - t
    g = json.load(open(report))

    # PyTorch
    torch.manual_seed(a.seed)
    net = tg.VGGFeatures(tg.load_safetensors(a.model), a.arch, "relu5_1")
    content, style = tg.preprocess(carr), tg.preprocess(sarr)
    loss = tg.GatysLoss(net, content, style, layers_c, layers_s, a.content_weight, a.style_weight, a.tv_weight)
    x0 = torch.randn_like(content) * 0.001
    t = time.time(); x, rec = tg.stylize(loss, x0, a.iterations); t_seconds = time.time() - t
    Image.fromarray((tg.deprocess(x) * 255).round().astype(np.uint8)).save(os.path.join(a.out, "pytorch.png"))

    gf, tf = g["final"], rec[-1]
    g_cs, t_cs = gf["content"] + gf["style"], tf[0] + tf[1]
    print(f"iteration 1: gpustyle content {g['history'][0]['content']:.6g} style {g['history'][0]['style']:.6g} | "
          f"pytorch content {rec[0][0]:.6g} style {rec[0][1]:.6g}")
    print(f"final (iteration {a.iterations}): gpustyle content+style {g_cs:.6g} ({g_seconds:.1f} s)  "
          f"pytorch {t_cs:.6g} ({t_seconds:.1f} s)  ratio {g_cs / t_cs:.4f} (must be <= 1.10)")
    print(f"images: {a.out}/gpustyle.png {a.out}/pytorch.png")


if __name__ == "__main__":
    main()
