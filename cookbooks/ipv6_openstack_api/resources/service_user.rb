unified_mode true
provides :ipv6_openstack_api_service_user

description 'A service\'s Keystone user in project `service` with role `admin`, as keystonemiddleware ' \
            'authenticates with it. The password is checked by signing in, and reset when it differs.'

property :user, String,
         name_property: true,
         description: 'User name (e.g. placement).'

property :password, String,
         required: true,
         sensitive: true,
         validation_message: 'password must be a non-empty string',
         description: 'The user\'s password (from the site\'s secret reference).'

property :keystone_port, Integer,
         required: true,
         description: 'Keystone\'s backend port on [::1].'

property :admin_password, String,
         required: true,
         sensitive: true,
         validation_message: 'admin_password must be a non-empty string',
         description: 'Password of Keystone\'s admin.'

action_class do
  def admin
    @admin ||= Ipv6OpenstackApi::Identity.new(port: new_resource.keystone_port, password: new_resource.admin_password)
  end

  def signs_in?
    Ipv6OpenstackApi::Identity.new(port: new_resource.keystone_port, user: new_resource.user, project: 'service',
                                   password: new_resource.password).token
    true
  rescue Ipv6OpenstackApi::Identity::Error
    false
  end
end

action :create do
  description 'Create the project, the user and the role assignment; reset the password when signing in fails.'

  project = admin.find('projects', 'service')
  user = admin.find('users', new_resource.user)
  role = admin.find('roles', 'admin')
  converged = project && user && signs_in?
  converge_by "create Keystone user #{new_resource.user} in project service with role admin" do
    project ||= admin.post('/v3/projects', project: { name: 'service', domain_id: 'default',
                                                      description: 'OpenStack service users' })['project']
    user = if user
             admin.patch("/v3/users/#{user['id']}", user: { password: new_resource.password })['user']
           else
             admin.post('/v3/users', user: { name: new_resource.user, domain_id: 'default',
                                             password: new_resource.password, enabled: true })['user']
           end
    admin.put("/v3/projects/#{project['id']}/users/#{user['id']}/roles/#{role['id']}")
  end unless converged
end
