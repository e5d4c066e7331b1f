// Package deploy holds nudgebot's deployment files: the Slack app
// manifest, the Kubernetes objects and the compose file. It has no code;
// its tests check the files against what the code really does, so the
// manifest asks for exactly the scopes the bot uses and the probes, ports
// and variables match the binary.
package deploy
