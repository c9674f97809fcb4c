"""How long a leaving node gets, and a joining one, in one place. Each drain number must exceed the one before it.

A pod's grace period runs inside NTH's drain, the drain inside the terminating lifecycle hook's heartbeat,
and the heartbeat inside the rolling update's wait for a batch's Ready signals (podnet.ipplan.node_rolls).
docs/node-lifecycle.md ("When nodes go away") explains the chain and what to raise for pods with a longer
``terminationGracePeriodSeconds``; tests/test_node_drain_timing.py checks the order on the synthesized template
and chart values.
"""

#: The longest ``terminationGracePeriodSeconds`` podnet plans for: the Kubernetes default.
POD_TERMINATION_GRACE_SECONDS = 30

#: NTH ``nodeTerminationGracePeriod``: the timeout of one node's whole drain (NTH's default, and the length of a
#: spot interruption warning). NTH completes the lifecycle action only after the drain succeeded.
NODE_DRAIN_TIMEOUT_SECONDS = 120

#: HeartbeatTimeout of the terminating lifecycle hook: how long an instance waits in Terminating:Wait when NTH
#: never completes the action (NTH down, drain failed or blocked by a PodDisruptionBudget). Then the hook's
#: DefaultResult CONTINUE terminates it. The margin over the drain covers EventBridge/SQS delivery and NTH's poll.
LIFECYCLE_HEARTBEAT_SECONDS = 240

#: HeartbeatTimeout of the launching lifecycle hook: how long a new instance waits to become a Ready node before
#: the hook's DefaultResult CONTINUE puts it in service anyway (NTH down, or the node slow to join). NTH completes
#: the action as soon as the node is Ready; it reads the launch event from the queue, which keeps it for 300 s, so
#: waiting longer than that could only delay the CONTINUE.
LAUNCH_READY_TIMEOUT_SECONDS = 300
