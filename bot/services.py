"""Everything a listener or job needs, built once per process and handed to the handlers through Bolt's context."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from bot.clock import Clock
from bot.config import LiaisonConfig
from bot.db import Database
from bot.dispatcher import OutboxDispatcher
from bot.gateway import SlackGateway
from bot.permissions import AgentDirectory
from bot.sla.sweep import SlaTimers
from bot.tickets import cards
from bot.tickets.intake import MessageIntake
from bot.tickets.service import Actor, TicketService
from bot.timers import TimerRegistry, TimerSweep


@dataclass
class Services:
    config: LiaisonConfig
    clock: Clock
    database: Database
    gateway: SlackGateway
    agents: AgentDirectory
    tickets: TicketService
    dispatcher: OutboxDispatcher
    reactions: MessageIntake
    timers: TimerRegistry  # features register their timer kinds here
    sweep: TimerSweep

    @classmethod
    def build(cls, *, config: LiaisonConfig, clock: Clock, database: Database, client: WebClient) -> Services:
        gateway = SlackGateway(client)
        tickets = TicketService(database, clock, config)
        timers = TimerRegistry()
        SlaTimers(tickets).register(timers)
        return cls(
            config=config,
            clock=clock,
            database=database,
            gateway=gateway,
            agents=AgentDirectory(gateway, config, clock),
            tickets=tickets,
            dispatcher=OutboxDispatcher(database, gateway, clock, render_card=cards.renderer(tickets.sla.book)),
            reactions=MessageIntake(tickets, gateway),
            timers=timers,
            sweep=TimerSweep(database, clock, timers),
        )

    def actor(self, user_id: str) -> Actor:
        return Actor(user_id=user_id, is_agent=self.agents.is_agent(user_id))

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.config.admins or self.agents.is_agent(user_id)
