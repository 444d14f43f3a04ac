"""The service desk: tickets, their messages and files, the contract that covers them, their live SLA clocks."""
