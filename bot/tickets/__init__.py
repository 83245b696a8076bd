"""The ticket desk: lifecycle rules, the service that changes tickets, and the `/ticket` command language."""
