// placeholder: the control plane entry point is built by the foundation work
