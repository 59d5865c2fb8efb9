# Keep between one and three environments of the `small` class warm, started from the
# project's latest prebuild. The project must have prebuilds enabled for that class.
resource "pools_warm_pool" "small" {
  project_id           = "0c000000-0000-4000-8000-000000000001"
  environment_class_id = "0d000000-0000-4000-8000-000000000001"
  min_size             = 1
  max_size             = 3
}
