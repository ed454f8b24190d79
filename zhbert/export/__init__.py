"""Export to ONNX: graphs with dynamic batch and length, int8, the sidecar a graph needs (tokenizer, labels,
transitions), and a check that the graph agrees with the PyTorch model before anything is written."""
