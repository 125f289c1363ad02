/**
 * The label the run controller sets on the Sandbox it makes for a Run, valued with the Run's
 * name. The run controller finds a Run's sandboxes by it; on Kubernetes the pod runtime copies it
 * onto that Sandbox's pod, and only onto it, so network policies can select the pods of runs (the
 * LLM gateway admits no other).
 */
export const RUN_LABEL = 'paddock.dev/run';
