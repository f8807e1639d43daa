#!/usr/bin/env python3
"""Writes three large guides for measuring docrun's memory and time on big inputs, each about
SIZE bytes (default 8 MB): big-istio.md (istio.io's dialect: a section, a `{{< text bash >}}`
block with a command and its output) and big-markdown.md (a command fence, prose that announces
output, an output fence), the same steps as benches/scale.rs generates, a step every 60 to 120
bytes: the worst case for what each step costs; and real-istio.md, the text of the istio.io
guides under tests/corpus (front matter and boilerplate includes left out) end to end, again
and again: guides as people write them.

Usage: scripts/big_guides.py OUT_DIR [SIZE_BYTES]
Then, e.g.: /usr/bin/time -v target/release/docrun plan OUT_DIR/big-istio.md --allow-missing
"""
import os
import sys


def istio_step(i):
    return (f"## Step {i}\n\nRun the command and read what it says.\n\n"
            f"{{{{< text bash >}}}}\n$ echo {i}\n{i}\n{{{{< /text >}}}}\n\n")


def markdown_step(i):
    return (f"## Step {i}\n\n```bash\nkubectl get pods -n ns{i}\n```\n\n"
            "The output is similar to:\n\n```text\nNAME   READY\nweb    1/1\n```\n\n")


def write(path, head, step, size):
    per_step = sum(len(step(i)) for i in range(100)) // 100
    with open(path, "w") as f:
        f.write(head)
        for i in range(size // per_step + 1):
            f.write(step(i))


def main():
    out = sys.argv[1]
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 8_000_000
    os.makedirs(out, exist_ok=True)
    before = ("## Before you begin\n\nInstall the tools as [the setup guide](setup.md) says, "
              "and read [the concepts](https://example.com/concepts).\n\n")
    write(os.path.join(out, "big-istio.md"), "---\ntitle: Scale\ntest: yes\n---\n" + before,
          istio_step, size)
    write(os.path.join(out, "big-markdown.md"), "# Scale\n\n" + before, markdown_step, size)
    write_real(os.path.join(out, "real-istio.md"), size)


def write_real(path, size):
    import glob
    import re
    root = os.path.join(os.path.dirname(__file__), "..", "tests/corpus/istio/content/en/docs")
    bodies = []
    for guide in sorted(glob.glob(os.path.join(root, "**/index.md"), recursive=True)):
        text = open(guide, encoding="utf-8").read()
        if text.startswith("---"):
            text = text[text.find("\n---", 3) + 4:]
        bodies.append(re.sub(r"\{\{< boilerplate [^>]*>\}\}", "", text))
    one = "\n".join(bodies)
    with open(path, "w", encoding="utf-8") as f:
        f.write("---\ntitle: Real\ntest: yes\n---\n")
        for _ in range(size // len(one) + 1):
            f.write(one)


if __name__ == "__main__":
    main()
