# A module of your own: a web tier on Exoscale beside an Ona warm pool for its developers.
# `pools.tftest.hcl` beside it tests it offline against pools-sandbox (see
# docs/guides/testing-with-the-sandbox.md).

terraform {
  required_providers {
    pools = {
      source  = "terraform.local/pools/pools"
      version = "~> 0.1"
    }
  }
}

variable "size" {
  type    = number
  default = 2
  validation {
    condition     = var.size >= 1 && var.size <= 20
    error_message = "size must be from 1 to 20 (a warm pool holds at most 20)."
  }
}

variable "template_id" {
  type = string
}

variable "project_id" {
  type = string
}

variable "environment_class_id" {
  type = string
}

resource "pools_instance_pool" "web" {
  name          = "web"
  size          = var.size
  instance_type = "standard.small"
  template_id   = var.template_id
  disk_size     = 20
  labels        = { tier = "web" }
}

resource "pools_warm_pool" "dev" {
  project_id           = var.project_id
  environment_class_id = var.environment_class_id
  min_size             = 1
  max_size             = var.size
}

output "web_instances" {
  value = length(pools_instance_pool.web.instance_ids)
}
