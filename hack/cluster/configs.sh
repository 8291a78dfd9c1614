# shellcheck shell=bash
# The node's certificates, kubeconfigs and config files, written into the cluster dir.
# Sourced by hack/cluster.sh after lib.sh and images.sh.

PKI=$CLUSTER_DIR/control-plane/pki

# A key and certificate signed by the control plane's CA (made by control-plane.sh).
# $1 = name, $2 = subject, $3 = x509v3 extensions.
node_cert() {
  local name=$1 subj=$2 ext=$3 out=$CLUSTER_DIR/pki
  mkdir -p "$out"
  chmod 700 "$out"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/$name.key" 2>/dev/null
  openssl req -new -key "$out/$name.key" -subj "$subj" -out "$out/$name.csr" 2>/dev/null
  printf '%s\n' "$ext" >"$out/$name.ext"
  openssl x509 -req -in "$out/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 30 -sha256 -extfile "$out/$name.ext" -out "$out/$name.crt" 2>/dev/null
  rm -f "$out/$name.csr" "$out/$name.ext"
}

node_kubeconfig() {
  local name=$1 server
  server=$(sed -n 's/^ *server: //p' "$CLUSTER_DIR/kubeconfig")
  (
    umask 077
    cat >"$CLUSTER_DIR/$name.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: glass
  cluster:
    server: $server
    certificate-authority: $PKI/ca.crt
users:
- name: $name
  user:
    client-certificate: $CLUSTER_DIR/pki/$name.crt
    client-key: $CLUSTER_DIR/pki/$name.key
contexts:
- name: glass
  context: {cluster: glass, user: $name}
current-context: glass
KC
  )
}

write_node_pki() {
  local client="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  # The identities the default RBAC bootstrap policy and the Node authorizer know.
  node_cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" "$client"
  node_cert kube-scheduler "/CN=system:kube-scheduler" "$client"
  node_cert kube-proxy "/CN=system:kube-proxy" "$client"
  node_cert kubelet-serving "/CN=$NODE_NAME" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:$NODE_NAME,IP:$NODE_IP"
  local c
  for c in kubelet kube-scheduler kube-proxy; do node_kubeconfig "$c"; done
}

write_containerd_config() {
  cat >"$CLUSTER_DIR/containerd.toml" <<TOML
# Written by hack/cluster.sh. A containerd of the node's own: its root, state, socket and
# runc root are in the cluster's dirs, not the system service's defaults.
version = 2
root = "$CLUSTER_DIR/containerd"
state = "$CLUSTER_RUN/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "$CONTAINERD_SOCK"

[plugins."io.containerd.internal.v1.opt"]
  path = "$CLUSTER_DIR/containerd-opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # Negative oom_score_adj is not allowed on these machines; without this every sandbox
  # fails with "can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  # Pod network namespaces under the state dir, not /run/netns.
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$CLUSTER_RUN/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$CLUSTER_DIR/cni"
TOML
}

write_cni_config() {
  mkdir -p "$CLUSTER_DIR/cni"
  # routes: a default route in every pod (host-local adds none by itself), via the bridge's
  # address, which is also the apiserver's and the node's.
  cat >"$CLUSTER_DIR/cni/10-glass.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$NODE_IP" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$CLUSTER_RUN/cni-ipam"
      }
    }
  ]
}
JSON
}

write_kubelet_config() {
  cat >"$CLUSTER_DIR/kubelet.yaml" <<YAML
# Written by hack/cluster.sh.
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
tlsCertFile: $CLUSTER_DIR/pki/kubelet-serving.crt
tlsPrivateKeyFile: $CLUSTER_DIR/pki/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
# This machine: cgroup v1, swap allowed, no systemd managing cgroups.
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
clusterDNS: [$DNS_IP]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: /etc/resolv.conf
podLogsDir: $CLUSTER_DIR/pod-logs
volumePluginDir: $CLUSTER_DIR/kubelet-plugins
staticPodPath: ""
rotateCertificates: false
serverTLSBootstrap: false
# Images cannot be pulled again here, so the kubelet never collects them; and a shared
# machine's disk is not this node's to keep free.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%}
YAML
}

write_kube_proxy_config() {
  cat >"$CLUSTER_DIR/kube-proxy.yaml" <<YAML
# Written by hack/cluster.sh.
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $CLUSTER_DIR/kube-proxy.kubeconfig}
mode: iptables
clusterCIDR: $POD_CIDR
hostnameOverride: $NODE_NAME
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# NodePorts on the node's bridge address only, not on the machine's network.
nodePortAddresses: [$NODE_IP/32]
iptables: {localhostNodePorts: false}
# 0: leave the machine's conntrack settings as they are.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
YAML
}

write_node_configs() {
  write_node_pki
  write_containerd_config
  write_cni_config
  write_kubelet_config
  write_kube_proxy_config
}
