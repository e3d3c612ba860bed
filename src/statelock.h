/* The lock of a cluster's state directory: one run at a time. It is an
 * flock(2) on STATE/lock, so a process that dies lets go of it and the next
 * run takes it over; the file says who holds it (pid, command, start time)
 * for the message another run prints. Every command that writes the state
 * directory takes it before writing: apply and resume and render (through
 * stage_prepare()), pki list, and the wizard's saves (planstore.c). */
#ifndef K8SW_STATELOCK_H
#define K8SW_STATELOCK_H

struct statelock;

/* Take the lock of state_dir for command ("apply"). Returns 0; 1 with *err
 * naming the holder when another process holds it; -1 with *err set on an
 * error. */
int statelock_take(const char *state_dir, const char *command, struct statelock **out,
		   char **err);
void statelock_release(struct statelock **l);

#endif
