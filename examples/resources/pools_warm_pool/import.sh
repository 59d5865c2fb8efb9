# A warm pool is imported by its id.
terraform import pools_warm_pool.small 5b2f7c1e-3d4a-4e6b-8c9d-0a1b2c3d4e5f
