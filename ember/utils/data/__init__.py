"""ember.utils.data: datasets, samplers, DataLoader (torch.utils.data) (being written)."""
