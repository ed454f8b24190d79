"""The zhbert Gradio demo."""
