"""ember.optim: optimizers (torch.optim) (being written)."""
