# An instance pool is imported by its id, in the provider's zone, or by `id@zone`.
terraform import pools_instance_pool.web 0e0b1f56-6f2c-4d2e-9a55-8a3c2b7d4f10@ch-gva-2
