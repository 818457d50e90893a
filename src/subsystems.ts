// Registers the server's subsystems in start order. Each subsystem module calls
// registerSubsystem() when imported; add new ones here.
export {};
