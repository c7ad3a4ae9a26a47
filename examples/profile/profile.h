#ifndef __PROFILE_H
#define __PROFILE_H

/* One sampled stack: who ran, and the ids of its kernel and user stacks in `stacks`. */
struct stack_key {
	unsigned int pid;
	char comm[16];
	int kstack_id;
	int ustack_id;
};

#endif /* __PROFILE_H */
