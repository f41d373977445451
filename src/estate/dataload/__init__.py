"""Data in: a demonstration estate (`estate demo`) and imports from files (`estate import`). Both
write through the domain services, exactly as the API does, so every rule applies."""
