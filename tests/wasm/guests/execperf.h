struct exec_event {
	int pid;
	char comm[16];
	unsigned long long ts;
};
