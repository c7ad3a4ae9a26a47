#ifndef __UPROBE_H
#define __UPROBE_H

/* One call of the probed function: who called it and its first two integer arguments. */
struct call {
	unsigned int pid;
	char comm[16];
	long arg0;
	long arg1;
};

#endif /* __UPROBE_H */
