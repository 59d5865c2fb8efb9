output "instance_pool_id" {
  value = pools_instance_pool.web.id
}

output "instance_pool_state" {
  value = pools_instance_pool.web.state
}

output "instance_count" {
  value = length(pools_instance_pool.web.instance_ids)
}

output "warm_pool_id" {
  value = pools_warm_pool.dev.id
}

output "warm_pool_phase" {
  value = pools_warm_pool.dev.phase
}

output "warm_pool_running_instances" {
  value = pools_warm_pool.dev.running_instances
}
