// Registers the server's subsystems in start order. Each subsystem module calls
// registerSubsystem() when imported; add new ones here.
import './spool/subsystem.js';
import './queue/subsystem.js';
import './smtp/subsystem.js';
import './http/subsystem.js';
export {};
