"""Activation checkpointing (torch.utils.checkpoint) (being written)."""
