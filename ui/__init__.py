"""Gradio UI: build_app(services) -> gr.Blocks; launching is separate."""
