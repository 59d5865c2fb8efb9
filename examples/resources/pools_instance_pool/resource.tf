resource "pools_instance_pool" "web" {
  name            = "web"
  description     = "Web servers"
  zone            = "ch-gva-2"
  size            = 3
  instance_type   = "standard.small"
  template_id     = "22222222-0000-4000-8000-000000000001"
  disk_size       = 50
  instance_prefix = "web"

  security_group_ids  = ["33333333-0000-4000-8000-000000000001"]
  private_network_ids = ["44444444-0000-4000-8000-000000000001"]
  ssh_keys            = ["sandbox"]
  user_data           = <<-EOT
    #cloud-config
    package_update: true
  EOT

  labels = {
    role = "web"
  }

  # Wait until all instances run, not only until the API accepted the change.
  wait_for_instances = true

  timeouts {
    create = "15m"
    delete = "10m"
  }
}
