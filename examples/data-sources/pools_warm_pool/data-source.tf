# Look a warm pool up by its project and environment class (or by `id`).
data "pools_warm_pool" "small" {
  project_id           = "0c000000-0000-4000-8000-000000000001"
  environment_class_id = "0d000000-0000-4000-8000-000000000001"
}

output "small_pool_phase" {
  value = data.pools_warm_pool.small.phase
}
