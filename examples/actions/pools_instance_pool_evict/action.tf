# terraform apply -invoke=action.pools_instance_pool_evict.drain
action "pools_instance_pool_evict" "drain" {
  config {
    instance_pool_id = pools_instance_pool.web.id
    zone             = pools_instance_pool.web.zone
    instance_ids     = [pools_instance_pool.web.instance_ids[0]]
  }
}

# Or run it after every change of another resource:
resource "terraform_data" "rollout" {
  input = var.release
  lifecycle {
    action_trigger {
      events  = [after_update]
      actions = [action.pools_instance_pool_evict.drain]
    }
  }
}
