// The operator tests share the mocha run's one control plane with the runtime's tests (ADR 53).
export {
  controlPlane,
  CONTROL_PLANE_TIMEOUT_MS,
  CRD_FILES,
  run,
  type Run,
  REPO_ROOT,
  type SharedControlPlane as ControlPlane,
} from '@glass/runtime/test-support/control-plane';
