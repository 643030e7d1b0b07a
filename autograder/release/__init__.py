"""What students get: release notebooks generated from solutions/ with the Colab setup cell (generate),
and the student distribution published from them (distribution)."""
