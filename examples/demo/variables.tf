# Defaults are pools-sandbox fixtures (`pools-sandbox --fixtures` lists them all).

variable "size" {
  description = "How many instances the Exoscale pool runs."
  type        = number
  default     = 2
}

variable "template_id" {
  description = "Exoscale template of the instances (sandbox: Ubuntu 24.04)."
  type        = string
  default     = "22222222-0000-4000-8000-000000000001"
}

variable "security_group_id" {
  description = "Exoscale security group of the instances (sandbox: `default`)."
  type        = string
  default     = "33333333-0000-4000-8000-000000000001"
}

variable "project_id" {
  description = "Ona project with prebuilds enabled (sandbox: `sandbox-app`)."
  type        = string
  default     = "0c000000-0000-4000-8000-000000000001"
}

variable "environment_class_id" {
  description = "Ona environment class in the project's prebuild configuration (sandbox: `small`)."
  type        = string
  default     = "0d000000-0000-4000-8000-000000000001"
}
