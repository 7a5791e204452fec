"""Payment methods. This slice holds the methods offered at checkout (cash on delivery,
bank transfer); the payment ledger and PayHere come with the Payments issue, behind the same
`PaymentMethod` interface."""
