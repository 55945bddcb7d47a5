"""The Gradio explainability app on top of `lda_model` (imports lda_model, never the reverse)."""
