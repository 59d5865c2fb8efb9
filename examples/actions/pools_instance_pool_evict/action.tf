# terraform apply -invoke=action.pools_instance_pool_evict.drain
data "pools_instance_pool" "web" {
  name = "web"
}

# Evicts the pool's first instance: the pool shrinks by one.
action "pools_instance_pool_evict" "drain" {
  config {
    instance_pool_id = data.pools_instance_pool.web.id
    zone             = data.pools_instance_pool.web.zone
    instance_ids     = [data.pools_instance_pool.web.instance_ids[0]]
  }
}

# Or run it after every change of another resource:
variable "release" {
  type    = string
  default = "v1"
}

resource "terraform_data" "rollout" {
  input = var.release
  lifecycle {
    action_trigger {
      events  = [after_update]
      actions = [action.pools_instance_pool_evict.drain]
    }
  }
}
