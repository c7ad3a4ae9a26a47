#ifndef __USDT_H
#define __USDT_H

/* One hit of the USDT probe: who hit it and its first two arguments. */
struct hit {
	unsigned int pid;
	char comm[16];
	long arg0;
	long arg1;
};

#endif /* __USDT_H */
