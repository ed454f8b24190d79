"""The zhbert web demo (Gradio) and its default model set. It sits on top of zhbert and ``wwm_pretrain``, and
nothing imports it: ``zhbert demo`` and ``zhbert build-demo-models`` reach it through the ``zhbert.commands``
entry points."""
