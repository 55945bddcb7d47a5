"""Placeholder UI until the explainability app (issue 5) lands: it shows the model's shapes."""

from __future__ import annotations

import gradio as gr

from lda_model import LDAConfig, LDADetector

QUEUE_MAX_SIZE = 16


def shapes_markdown(config: LDAConfig) -> str:
    model = LDADetector(config)
    rows = "\n".join(f"| {name} | `{tuple(shape)}` |" for name, shape in model.describe_shapes())
    return f"### `{config.name}` preset\n\n| tensor | shape |\n|---|---|\n{rows}\n"


def build_demo() -> gr.Blocks:
    with gr.Blocks(title="Long distance attention deepfake detector") as demo:
        gr.Markdown("# Long distance attention deepfake detector\nThe analysis app is under construction.")
        gr.Markdown(shapes_markdown(LDAConfig.lite()))
    return demo


def main() -> None:
    build_demo().queue(max_size=QUEUE_MAX_SIZE).launch()
