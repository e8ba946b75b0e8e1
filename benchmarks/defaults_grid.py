"""defaults_grid.py — renders a grid of stylisations over loss weights for several content/style pairs and lays them
out on one labelled contact sheet per pair, to choose a model's default weights by looking (issue: quality).

  python3 benchmarks/defaults_grid.py --pairs examples/chelsea.png:examples/shipwreck.jpg,... \
      --content-weights 20,100,500 --tv-weights 0,1e-4,1e-3 --size 256 --iterations 300 --out /tmp/grid
Needs Pillow; runs .build/release/gpustyle (override with --gpustyle).
"""
import argparse, itertools, json, os, subprocess
from PIL import Image, ImageDraw


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pairs", required=True, help="content:style,content:style,...")
    p.add_argument("--content-weights", default="20,100,500"); p.add_argument("--style-weight", default="100")
    p.add_argument("--tv-weights", default="0,1e-4,1e-3"); p.add_argument("--size", type=int, default=256)
    p.add_argument("--iterations", type=int, default=300); p.add_argument("--out", default="/tmp/grid")
    p.add_argument("--gpustyle", default=".build/release/gpustyle"); p.add_argument("--extra", default="")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    cws, tvs = a.content_weights.split(","), a.tv_weights.split(",")
    for pair in a.pairs.split(","):
        content, style = pair.split(":")
        tag = os.path.splitext(os.path.basename(content))[0] + "_" + os.path.splitext(os.path.basename(style))[0]
        tiles = {}
        for cw, tv in itertools.product(cws, tvs):
            out = os.path.join(a.out, f"{tag}_c{cw}_tv{tv}.png")
            if not os.path.exists(out):
                cmd = [a.gpustyle, "--content-image", content, "--style-image", style, "--image-size", str(a.size),
                       "--num-iterations", str(a.iterations), "--content-weight", cw, "--style-weight", a.style_weight,
                       "--tv-weight", tv, "--output-image", out, "--progress", "none", "--save-iter", "0", "--seed", "1",
                       "--report", out[:-4] + ".json"] + a.extra.split()
                subprocess.run(cmd, check=True)
            final = json.load(open(out[:-4] + ".json"))["final"]
            tiles[(cw, tv)] = (Image.open(out).convert("RGB"), final)
        w, h = next(iter(tiles.values()))[0].size
        sheet = Image.new("RGB", (len(tvs) * (w + 4) + 70, len(cws) * (h + 16) + 20), "white")
        d = ImageDraw.Draw(sheet)
        for j, tv in enumerate(tvs):
            d.text((70 + j * (w + 4), 4), f"tv {tv}", fill="black")
        for i, cw in enumerate(cws):
            d.text((4, 20 + i * (h + 16) + h // 2), f"content\n{cw}", fill="black")
            for j, tv in enumerate(tvs):
                img, final = tiles[(cw, tv)]
                x, y = 70 + j * (w + 4), 20 + i * (h + 16)
                sheet.paste(img, (x, y))
                d.text((x, y + h + 2), f"c {final['content']:.3g} s {final['style']:.3g}", fill="gray")
        path = os.path.join(a.out, f"grid_{tag}.png")
        sheet.save(path)
        print(path)


if __name__ == "__main__":
    main()
