"""Model provisioning (wheels -> cache, checksums), the sentence-transformers embedder and the int8 ONNX query encoder."""
